"""The weekly digest: what a workspace's week of give-and-take looked like, composed and drawn."""
