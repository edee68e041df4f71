namespace Workflows.Tests.BadInput.Booking;

// Four deploys of one workflow name, "badinput-booking", for the code-change cases of the bad-input suite. A journal
// recorded by the first is resumed by another: the step is renamed, retyped or the steps are called in another order.
// A real application has one definition per name (WF0011 says so), so the rule is off for this file only.
#pragma warning disable WF0011

/// <summary>The recorded deploy: reserve a seat for the trip, then pay for it.</summary>
[Workflow("badinput-booking")]
public partial class BookingV1
{
    [WorkflowRun]
    public async Task<string> RunAsync(string trip) => await PayAsync(await ReserveAsync(trip));

    [Step("reserve")]
    private Task<string> ReserveAsync(string trip) => Task.FromResult("seat-" + trip);

    [Step("pay")]
    private Task<string> PayAsync(string seat) => Task.FromResult("paid-" + seat);
}

/// <summary>"reserve" renamed "hold": same signature, another journal name (so another schema version).</summary>
[Workflow("badinput-booking")]
public partial class BookingRenamed
{
    [WorkflowRun]
    public async Task<string> RunAsync(string trip) => await PayAsync(await HoldAsync(trip));

    [Step("hold")]
    private Task<string> HoldAsync(string trip) => Task.FromResult("seat-" + trip);

    [Step("pay")]
    private Task<string> PayAsync(string seat) => Task.FromResult("paid-" + seat);
}

/// <summary>"reserve" now returns a seat number instead of a text (another schema version).</summary>
[Workflow("badinput-booking")]
public partial class BookingRetyped
{
    [WorkflowRun]
    public async Task<string> RunAsync(string trip) => await PayAsync((await ReserveAsync(trip)).ToString(System.Globalization.CultureInfo.InvariantCulture));

    [Step("reserve")]
    private Task<int> ReserveAsync(string trip) => Task.FromResult(trip.Length);

    [Step("pay")]
    private Task<string> PayAsync(string seat) => Task.FromResult("paid-" + seat);
}

/// <summary>The same steps and signatures as <see cref="BookingV1"/> (so the same schema version), called in the other order.</summary>
[Workflow("badinput-booking")]
public partial class BookingReordered
{
    [WorkflowRun]
    public async Task<string> RunAsync(string trip) => await ReserveAsync(await PayAsync(trip));

    [Step("reserve")]
    private Task<string> ReserveAsync(string trip) => Task.FromResult("seat-" + trip);

    [Step("pay")]
    private Task<string> PayAsync(string seat) => Task.FromResult("paid-" + seat);
}
