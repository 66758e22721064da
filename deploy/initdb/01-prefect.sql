-- One PostgreSQL server holds both databases: nianbao's (POSTGRES_DB) and Prefect's.
CREATE DATABASE prefect;
