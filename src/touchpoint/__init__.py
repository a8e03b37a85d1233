"""touchpoint: customer-perception-centred service management."""
