-- How sql/ingest/validate.sql reads a number written in a file's locale (issue #13): temporary macros, made
-- on the validating connection before each validation (lgs_core.ingest.validate).
-- A number DuckDB casts as it is stays as it is (2.55; 17850.0; -6). Otherwise, with a decimal point, ','
-- and spaces may only separate thousands, in groups of three (1,234.50 and 1 234.50 are 1234.50, 1,2 is not
-- 12); with a decimal comma (decimal_comma), '.' and spaces separate thousands and ',' is the decimal
-- (1.234,50 is 1234.50; 6,95 is 6.95). Spaces: ' ', no-break space U+00A0, narrow no-break space U+202F.
-- Anything else is not a number (null). DuckDB's cast also skips underscores ('1_5' is 15): validate.sql
-- refuses those.

-- The text without its thousands separators and with a '.' decimal, or null when it is not such a number.
create or replace temp macro grouped_number(t, decimal_comma) as
    case
        when decimal_comma then
            case
                when regexp_full_match(t, '[+-]?([0-9]+|[0-9]{1,3}([. \x{a0}\x{202f}][0-9]{3})+)?(,[0-9]*)?')
                    then replace(regexp_replace(t, '[. \x{a0}\x{202f}]', '', 'g'), ',', '.')
            end
        when regexp_full_match(t, '[+-]?[0-9]{1,3}([, \x{a0}\x{202f}][0-9]{3})+(\.[0-9]*)?')
            then regexp_replace(t, '[, \x{a0}\x{202f}]', '', 'g')
    end;

create or replace temp macro number_as_double(t, decimal_comma) as
    case
        when decimal_comma then try_cast(grouped_number(t, true) as double)
        else coalesce(try_cast(t as double), try_cast(grouped_number(t, false) as double))
    end;

create or replace temp macro number_as_price(t, decimal_comma) as
    case
        when decimal_comma then try_cast(grouped_number(t, true) as decimal(18, 3))
        else coalesce(try_cast(t as decimal(18, 3)), try_cast(grouped_number(t, false) as decimal(18, 3)))
    end;
