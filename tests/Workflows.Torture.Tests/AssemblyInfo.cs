// Each test starts worker processes that rely on leases of a second or two: one test at a time, so that two never compete
// for the two cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
