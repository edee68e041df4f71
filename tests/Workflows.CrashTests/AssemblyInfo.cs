// The tests start several engine processes each and rely on leases of a few seconds: run them one at a time, so that
// two tests never compete for the two cores and no lease lapses for want of CPU.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
