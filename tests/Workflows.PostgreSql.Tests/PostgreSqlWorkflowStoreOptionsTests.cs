namespace Workflows.PostgreSql.Tests;

public sealed class PostgreSqlWorkflowStoreOptionsTests
{
    private const string Good = "Host=127.0.0.1;Port=5432;Username=app;Database=app";

    [Fact]
    public void Defaults_and_a_good_connection_string_are_accepted()
    {
        var options = new PostgreSqlWorkflowStoreOptions { ConnectionString = Good };
        Assert.Equal("workflows", options.Schema);
        var parsed = options.Validate();
        Assert.Equal(("127.0.0.1", 5432, "app"), (parsed.Host, parsed.Port, parsed.Database));
        Assert.Equal("tenant_a_2", new PostgreSqlWorkflowStoreOptions { ConnectionString = Good, Schema = "tenant_a_2" }.Validate() is not null ? "tenant_a_2" : null);
        _ = new PostgreSqlWorkflowStoreOptions { ConnectionString = Good, Schema = "_" + new string('x', 62) }.Validate();
    }

    [Theory]
    [InlineData("")]
    [InlineData("Workflows")]
    [InlineData("1st")]
    [InlineData("my-schema")]
    [InlineData("a b")]
    [InlineData("x\";DROP")]
    [InlineData("pg_workflows")]
    [InlineData("schéma")]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234")]
    public void A_schema_that_is_not_a_plain_identifier_is_refused_naming_it(string schema)
    {
        var e = Assert.Throws<ArgumentException>(() => new PostgreSqlWorkflowStoreOptions { ConnectionString = Good, Schema = schema }.Validate());
        Assert.Equal(nameof(PostgreSqlWorkflowStoreOptions.Schema), e.ParamName);
        Assert.Contains($"'{schema}'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void A_missing_connection_string_is_refused_naming_the_option(string? connectionString)
    {
        var e = Assert.Throws<ArgumentException>(() => new PostgreSqlWorkflowStoreOptions { ConnectionString = connectionString }.Validate());
        Assert.Equal(nameof(PostgreSqlWorkflowStoreOptions.ConnectionString), e.ParamName);
        Assert.Contains("ConnectionString", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Host=db;Colour=blue;Password=s3cret", "Colour", "is not a key")]
    [InlineData("Host=db;Port=fifty;Password=s3cret", "Port", "value")]
    [InlineData("Host=db;Pooling=perhaps;Password=s3cret", "Pooling", "value")]
    [InlineData("Host=db;SSL Mode=sometimes;Password=s3cret", "SSL Mode", "value")]
    [InlineData("Port=5432;Password=s3cret", "Host", "no key")]
    public void A_bad_connection_string_is_refused_naming_the_key_and_never_the_password(string connectionString, string key, string problem)
    {
        var e = Assert.Throws<ArgumentException>(() => new PostgreSqlWorkflowStoreOptions { ConnectionString = connectionString }.Validate());
        Assert.Equal(nameof(PostgreSqlWorkflowStoreOptions.ConnectionString), e.ParamName);
        Assert.Contains($"'{key}'", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_connection_string_that_is_not_key_value_pairs_is_refused_naming_the_option()
    {
        var e = Assert.Throws<ArgumentException>(() => new PostgreSqlWorkflowStoreOptions { ConnectionString = "Host=db;'unterminated" }.Validate());
        Assert.Equal(nameof(PostgreSqlWorkflowStoreOptions.ConnectionString), e.ParamName);
    }
}
