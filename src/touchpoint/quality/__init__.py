"""Pure service-quality science (DOMAIN.md §3): numpy/scipy only, no I/O, no clock."""
