#!/bin/sh
# 10-pingan-roles.sh - run once by the postgres image at the cluster's first
# start (docker-entrypoint-initdb.d), as the superuser: the three group roles
# of sql/015_roles.sql, the database owned by pingan_owner, and one login user
# for each, with passwords read from the compose secrets by psql itself (never
# on a command line). docs/security.md, "PostgreSQL roles".
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<'SQL'
\set pw_migrate `cat /run/secrets/migrate_password`
\set pw_worker `cat /run/secrets/worker_password`
\set pw_analyst `cat /run/secrets/analyst_password`
CREATE ROLE pingan_owner NOLOGIN;
CREATE ROLE pingan_worker NOLOGIN;
CREATE ROLE pingan_analyst NOLOGIN;
CREATE DATABASE pingan OWNER pingan_owner;
CREATE ROLE pingan_migrate LOGIN PASSWORD :'pw_migrate' IN ROLE pingan_owner;
-- What pingan_migrate creates belongs to the group, not to the user.
ALTER ROLE pingan_migrate SET role = 'pingan_owner';
CREATE ROLE pingan_worker_svc LOGIN PASSWORD :'pw_worker' IN ROLE pingan_worker;
CREATE ROLE pingan_analyst_svc LOGIN PASSWORD :'pw_analyst' IN ROLE pingan_analyst;
SQL
