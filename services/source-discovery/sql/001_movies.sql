-- The movie catalog. Owned by source-discovery: no other daemon reads or writes this table.
CREATE TABLE movies (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    imdb_id      text NOT NULL UNIQUE CHECK (imdb_id ~ '^tt[0-9]{7,10}$'),
    title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    year         int CHECK (year BETWEEN 1870 AND 2200),
    overview     text NOT NULL DEFAULT '',
    runtime_min  int CHECK (runtime_min BETWEEN 0 AND 2000),
    rating       real CHECK (rating BETWEEN 0 AND 10),
    genres       text[] NOT NULL DEFAULT '{}',
    poster_url   text,
    backdrop_url text,
    popularity   real NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Background discovery visits the most popular movies first.
CREATE INDEX movies_popularity_idx ON movies (popularity DESC);
