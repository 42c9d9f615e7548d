"""Great Expectations suites as code, one per dataset, and the runner that applies them."""
