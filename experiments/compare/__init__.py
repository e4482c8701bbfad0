"""``loopsim-compare``: aggregate a sweep's runs over seeds into tables and figures."""
