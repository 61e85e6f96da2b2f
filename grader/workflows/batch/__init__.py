"""Grade many submissions: find them, grade them in parallel, keep every result in a gradebook."""
