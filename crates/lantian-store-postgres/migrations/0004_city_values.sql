-- Values CNEMC published for cities (`china_cities` files): the city's hourly AQI (item 10) and
-- 1 h concentrations (item = the pollutant's code, lantian_store::codec). Kept to compare with
-- what Lantian computes from the stations; never mixed into the station tables.
-- (0002 and 0003 are the ledger and the accounts.)
CREATE TABLE city_hourly (
    city  TEXT NOT NULL,
    item  SMALLINT NOT NULL,
    ts    BIGINT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (city, item, ts)
);
