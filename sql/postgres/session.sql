-- Every connection to LGS's PostgreSQL, first (lgs_core.sources.postgres._connect): dates as ISO text in the
-- COPY whatever the server's DateStyle; UTF-8 whatever the locale; invoice dates in UK local time (DOMAIN.md
-- §1: a timestamptz column is read, and a watermark compared with it, in Europe/London, whatever the
-- server's own time zone). {timezone}: a Literal.
set datestyle = 'ISO, YMD';
set client_encoding = 'UTF8';
set timezone = {timezone};
