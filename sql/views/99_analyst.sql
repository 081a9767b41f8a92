-- 99_analyst.sql: analysts (role pingan_analyst, sql/015_roles.sql) read every
-- view of the schema and no table. Last of the definition files, so that it
-- runs after --init-db re-created the views (a re-created view loses its grants).
DO $$
DECLARE
    v text;
BEGIN
    FOR v IN SELECT c.oid::regclass::text FROM pg_class AS c
             WHERE c.relnamespace = 'pingan'::regnamespace AND c.relkind IN ('v', 'm')
    LOOP
        EXECUTE format('GRANT SELECT ON %s TO pingan_analyst', v);
    END LOOP;
END
$$;
