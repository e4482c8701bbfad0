"""Parameter checks: component schemas read from constructors, and checks that name the field, the value and the fix."""
