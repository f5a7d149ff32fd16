-- pg-load --replace: empty the table before the COPY, inside the load's transaction. {table}: an Identifier.
truncate {table}
