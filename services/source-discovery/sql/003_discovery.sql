-- Source discovery (issue 6): provider searches, release-name details and the score, seeder
-- statistics, .torrent retrieval. Owned by source-discovery.

-- Movies: what the providers said about them, and when to search them again.
ALTER TABLE movies
    ADD COLUMN trailer          text NOT NULL DEFAULT '' CHECK (length(trailer) <= 32),
    ADD COLUMN searched_at      timestamptz,                    -- last provider search ended
    ADD COLUMN next_search_at   timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN search_misses    int NOT NULL DEFAULT 0 CHECK (search_misses >= 0),
    ADD COLUMN search_error     text NOT NULL DEFAULT '' CHECK (length(search_error) <= 256);

-- Background discovery: the most popular movie that is due.
CREATE INDEX movies_due_idx ON movies (next_search_at, popularity DESC);
-- GET /api/movies?query=: words of the title.
CREATE INDEX movies_title_idx ON movies (lower(title) text_pattern_ops);

ALTER TABLE sources
    ADD COLUMN video_codec   text NOT NULL DEFAULT '' CHECK (length(video_codec) <= 16),
    ADD COLUMN source_type   text NOT NULL DEFAULT '' CHECK (length(source_type) <= 16),
    ADD COLUMN audio         text NOT NULL DEFAULT '' CHECK (length(audio) <= 128),
    ADD COLUMN hdr           text NOT NULL DEFAULT '' CHECK (length(hdr) <= 32),
    ADD COLUMN languages     text NOT NULL DEFAULT '' CHECK (length(languages) <= 128),
    ADD COLUMN release_group text NOT NULL DEFAULT '' CHECK (length(release_group) <= 64),
    ADD COLUMN seeders       int NOT NULL DEFAULT -1 CHECK (seeders >= -1),   -- -1: unknown
    ADD COLUMN leechers      int NOT NULL DEFAULT -1 CHECK (leechers >= -1),
    ADD COLUMN completed     int NOT NULL DEFAULT -1 CHECK (completed >= -1),
    ADD COLUMN score         int NOT NULL DEFAULT 0 CHECK (score BETWEEN 0 AND 10000),
    ADD COLUMN uploaded_at   timestamptz,
    ADD COLUMN url_enc       bytea,           -- sealed provider .torrent URL; NULL: none
    -- seeder statistics (SCRAPE through the pool), on an adaptive schedule
    ADD COLUMN stats_at          timestamptz,
    ADD COLUMN stats_next_at     timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN stats_interval_s  int NOT NULL DEFAULT 21600 CHECK (stats_interval_s > 0),
    -- .torrent retrieval: attempts and the next one
    ADD COLUMN torrent_attempts  int NOT NULL DEFAULT 0 CHECK (torrent_attempts >= 0),
    ADD COLUMN torrent_next_at   timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN torrent_error     text NOT NULL DEFAULT '' CHECK (length(torrent_error) <= 256);

CREATE INDEX sources_stats_due_idx ON sources (stats_next_at);
CREATE INDEX sources_torrent_due_idx ON sources (torrent_next_at) WHERE torrent_enc IS NULL;
