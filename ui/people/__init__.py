"""The People screen: the list (a lazily paged model over ids), its filters and the person panel."""
