from egov.identity.tests.support import identity_standin  # noqa: F401  (the fixture)
