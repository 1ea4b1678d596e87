-- First start of the compose Postgres: one login role and one schema per service, each role
-- owning only its own schema. Run by the postgres image's entrypoint (psql) as the superuser.
-- Passwords come from the container environment (psql \getenv), so none is written here;
-- a missing one stops the script with its name.

\set ON_ERROR_STOP on

\getenv ingest_password INGEST_DB_PASSWORD
\getenv ocr_password OCR_DB_PASSWORD
\getenv matching_password MATCHING_DB_PASSWORD
\getenv accrual_password ACCRUAL_DB_PASSWORD
\getenv export_password EXPORT_DB_PASSWORD
\if :{?ingest_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'INGEST_DB_PASSWORD is not set in the postgres container'; END $$;
\endif
\if :{?ocr_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'OCR_DB_PASSWORD is not set in the postgres container'; END $$;
\endif
\if :{?matching_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'MATCHING_DB_PASSWORD is not set in the postgres container'; END $$;
\endif
\if :{?accrual_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'ACCRUAL_DB_PASSWORD is not set in the postgres container'; END $$;
\endif
\if :{?export_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'EXPORT_DB_PASSWORD is not set in the postgres container'; END $$;
\endif

-- Nobody creates objects in public, nor connects, unless granted below.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;

CREATE ROLE ingest LOGIN PASSWORD :'ingest_password';
CREATE ROLE ocr LOGIN PASSWORD :'ocr_password';
CREATE ROLE matching LOGIN PASSWORD :'matching_password';
CREATE ROLE accrual LOGIN PASSWORD :'accrual_password';
CREATE ROLE export LOGIN PASSWORD :'export_password';

GRANT CONNECT ON DATABASE :"DBNAME" TO ingest, ocr, matching, accrual, export;

CREATE SCHEMA ingest AUTHORIZATION ingest;
CREATE SCHEMA ocr AUTHORIZATION ocr;
CREATE SCHEMA matching AUTHORIZATION matching;
CREATE SCHEMA accrual AUTHORIZATION accrual;
CREATE SCHEMA export AUTHORIZATION export;

-- Owners have every right on their schema already; everyone else gets none.
REVOKE ALL ON SCHEMA ingest, ocr, matching, accrual, export FROM PUBLIC;

-- Unqualified names resolve to the role's own schema only, never to public.
ALTER ROLE ingest SET search_path = ingest;
ALTER ROLE ocr SET search_path = ocr;
ALTER ROLE matching SET search_path = matching;
ALTER ROLE accrual SET search_path = accrual;
ALTER ROLE export SET search_path = export;
