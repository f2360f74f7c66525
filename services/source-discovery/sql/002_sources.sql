-- Torrent sources of the movies. Owned by source-discovery: no other daemon reads or writes
-- this table.
--
-- Secrets are never stored in clear (ARCHITECTURE.md, Data): the info-hash, the magnet and
-- the .torrent bytes are AES-256-GCM sealed values (version byte, 12-byte nonce, ciphertext,
-- 16-byte tag; the column name is the additional data) made by disc_crypt.c with a key derived
-- from SOURCE_SECURITY_KEY. Lookups and uniqueness by info-hash use info_hash_index, an
-- HMAC-SHA256 of the lower-case hex hash under a second derived key (a blind index), never a
-- deterministic encryption.

-- A movie created by an admin before any provider filled it in has no title yet (''); titles
-- follow the protocol's cap (proto/discovery.toml, 512).
ALTER TABLE movies DROP CONSTRAINT movies_title_check;
ALTER TABLE movies ADD CONSTRAINT movies_title_check CHECK (length(title) <= 512);

CREATE TABLE sources (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    movie_id        bigint NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    provider        text NOT NULL CHECK (length(provider) BETWEEN 1 AND 32),   -- 'manual': an admin
    name            text NOT NULL DEFAULT '' CHECK (length(name) <= 1024),     -- torrent name
    quality         text NOT NULL DEFAULT ''
                    CHECK (quality IN ('', 'SD', 'HD', 'FHD', '2K', '4K', '8K')),
    size            bigint NOT NULL DEFAULT 0 CHECK (size >= 0),               -- bytes, 0: unknown
    -- [[path, size], ...] in metainfo order, the first 1000 files; NULL until metadata is known
    files           jsonb CHECK (files IS NULL OR jsonb_typeof(files) = 'array'),
    file_count      int NOT NULL DEFAULT 0 CHECK (file_count >= 0),            -- files in the torrent
    info_hash_index bytea UNIQUE CHECK (length(info_hash_index) = 32),
    info_hash_enc   bytea,            -- sealed 20-byte info-hash
    magnet_enc      bytea,            -- sealed magnet URI; NULL when added from a .torrent
    torrent_enc     bytea,            -- sealed .torrent bytes; NULL until metadata is known
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX sources_movie_idx ON sources (movie_id);
