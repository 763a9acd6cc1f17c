from egov.dossiers.tests.conftest import birth_procedure, offline_procedure  # noqa: F401
