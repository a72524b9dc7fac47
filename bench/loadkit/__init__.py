"""What the load benchmark (`python -m bench.load`) and the fault tests share: a cluster of
replicas, the request mix and its driver, and the exactly-once check."""
