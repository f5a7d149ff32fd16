-- The store's tables (DuckDB). Grain: `lines` one row per accepted input line; `quarantine` one row per
-- refused input line with its reason; `load_log` one row per load, demo generation or sync.
-- Money is exact: DECIMAL(18,3) pounds (the full data set has prices of £0.001, e.g. PADS).
create sequence if not exists load_id_seq start 1;

create table if not exists load_log (
    load_id integer primary key,
    kind varchar not null,            -- file | demo | postgres
    source varchar not null,          -- file name, 'demo (seed 42)', or host/db/table (never a password)
    fingerprint varchar not null,     -- sha256 of the file's bytes, or of the generator's parameters
    mode varchar not null,            -- replace | append | full | incremental
    loaded_at timestamp not null,
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    watermark timestamp,              -- newest invoice_date read, loaded or quarantined (the sync's resume point)
    loaded_by varchar                 -- who: the signed-in e-mail, or the OS user (null: before issue #16)
);
-- A store made before issue #16 has no loaded_by yet.
alter table load_log add column if not exists loaded_by varchar;

create table if not exists lines (
    load_id integer not null,
    source_row bigint not null,       -- 1-based data row within its sheet or file (header excluded)
    invoice varchar not null,
    stock_code varchar not null,
    description varchar,
    quantity integer not null,
    invoice_date timestamp not null,  -- local UK time, to the minute (DOMAIN.md §1)
    unit_price decimal(18, 3) not null,
    customer_id integer,
    country varchar not null,
    is_cancellation boolean not null, -- invoice starts with 'C'
    is_adjustment boolean not null,   -- invoice starts with 'A' (bad-debt adjustment)
    is_product boolean not null,      -- stock code is 5 digits plus optional letters (DOMAIN.md §1)
    line_amount decimal(18, 3) not null
);

create table if not exists quarantine (
    load_id integer not null,
    source varchar not null,
    sheet varchar,
    source_row bigint not null,
    reason varchar not null,
    invoice varchar,
    stock_code varchar,
    description varchar,
    quantity varchar,
    invoice_date varchar,
    unit_price varchar,
    customer_id varchar,
    country varchar
);

-- Small key/value facts about the store (e.g. the data version that caches key on).
create table if not exists store_meta (
    key varchar primary key,
    value varchar not null
);

-- Replaced data sets, kept for a restore (lgs_core/history.py, issue #16). Each one's lines, quarantine and
-- summaries are the tables kept_<kept_id>_<table>, renamed there by the replace in its own transaction.
-- Grain: one row per kept data set.
create sequence if not exists kept_id_seq start 1;

create table if not exists kept_sets (
    kept_id integer primary key,      -- N in `lgs restore N`
    kept_at timestamp not null,       -- when it was replaced
    first_load_id integer,            -- its loads: load_log rows first_load_id..last_load_id
    last_load_id integer,
    lines bigint not null,
    quarantined bigint not null,
    first_date timestamp,
    last_date timestamp,
    description varchar not null,     -- 'the 1,000,000 lines of demo data loaded 01 Dec 2026 09:12'
    summaries varchar                 -- '<key>=<lines>' when its summaries were current (kept too), else null
);
