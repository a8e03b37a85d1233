"""One analytics path for every backend: Ibis reduces rows to sufficient statistics."""
