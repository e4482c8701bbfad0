"""Parameter checks: schemas read from constructors; errors name the field, the value, the fix."""
