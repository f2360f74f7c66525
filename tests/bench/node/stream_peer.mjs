// WebTorrent or peerflix as a streaming HTTP server for tests/bench/stream_bench.py.
//   node stream_peer.mjs webtorrent|peerflix CONTROL_PORT PEER_PORT CACHE_DIR TRACKER
// prints "control port=N" once its control server listens on 127.0.0.1:CONTROL_PORT, then:
//   GET /add?magnet=URI   adds the magnet (nothing is loaded before) and answers, once the
//                         metadata is known and the client's own HTTP server listens,
//                         {"url", "length", "pieceLength", "pieces", "ms"} (503 after 60 s)
//   GET /have?from=A&to=B how many of the pieces A..B (inclusive) are verified: {"have", "of"}
//   GET /stats            {"downloaded", "rss"}
// The bytes are served by each library's own server: WebTorrent's client.createServer(),
// peerflix's engine.server (the library call its CLI makes, peerflix(torrent, argv); the CLI
// itself draws a terminal UI and cannot be kept from selecting the whole file, see below).
// Both fetch on demand only: WebTorrent adds with `deselect: true`, and peerflix's own
// selection of the whole file is undone once it is made, so that, as with ours, only what the
// HTTP requests ask for is downloaded (otherwise the whole file arrives within seconds on
// loopback and no seek lands in a part not yet downloaded).
// DHT, LSD, ut_pex, UPnP, NAT-PMP, web seeds and uTP are off (torrent-stream has no LSD, PEX,
// UPnP or uTP): the local tracker is the only peer source. SIGTERM: destroy, exit 0.
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'

const [mode, controlPort, peerPort, cacheDir, tracker] = process.argv.slice(2)
if (!['webtorrent', 'peerflix'].includes(mode) || !tracker) {
  console.error('usage: node stream_peer.mjs webtorrent|peerflix CONTROL_PORT PEER_PORT CACHE_DIR TRACKER')
  process.exit(2)
}
const ADD_TIMEOUT_MS = 60000
fs.mkdirSync(cacheDir, { recursive: true })

let state = null // { length, pieceLength, pieces, url, have(i), downloaded() }
let destroy = (cb) => cb()

// The library is loaded, and WebTorrent's client and server made, before the control server
// listens: /add times only what a player waits for (the add, the metadata).
let wt = null
if (mode === 'webtorrent') {
  const { default: WebTorrent } = await import('webtorrent')
  const client = new WebTorrent({
    dht: false,
    lsd: false,
    utPex: false,
    natUpnp: false,
    natPmp: false,
    webSeeds: false,
    utp: false,
    torrentPort: Number(peerPort)
  })
  destroy = (cb) => client.destroy(() => cb())
  const server = client.createServer()
  await new Promise((resolve, reject) => {
    server.server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  wt = { client, port: server.server.address().port }
}
const peerflix = mode === 'peerflix' ? (await import('peerflix')).default : null

function startWebTorrent (magnet) {
  const { client, port } = wt
  return new Promise((resolve, reject) => {
    client.on('error', reject)
    const torrent = client.add(magnet, { path: cacheDir, announce: [tracker], deselect: true })
    torrent.on('error', reject)
    torrent.once('ready', () => {
      const file = torrent.files.reduce((a, b) => (a.length >= b.length ? a : b))
      const rel = file.path.replace(/\\/g, '/').split('/').map(encodeURIComponent).join('/')
      resolve({
        url: `http://127.0.0.1:${port}/webtorrent/${torrent.infoHash}/${rel}`,
        length: file.length,
        pieceLength: torrent.pieceLength,
        pieces: torrent.pieces.length,
        have: (i) => torrent.bitfield.get(i),
        downloaded: () => torrent.downloaded
      })
    })
  })
}

function startPeerflix (magnet) {
  const engine = peerflix(magnet, {
    dht: false,
    tracker: true,
    trackers: [tracker],
    path: path.join(cacheDir, 'data'),
    tmp: path.join(cacheDir, 'tmp'),
    hostname: '127.0.0.1',
    port: 0, // the HTTP server's: any free one
    peerPort: Number(peerPort),
    connections: 100 // the CLI's default on a machine of more than one CPU
  })
  destroy = (cb) => engine.destroy(() => cb())
  return new Promise((resolve, reject) => {
    engine.on('error', reject)
    engine.server.on('error', reject)
    engine.server.once('listening', () => {
      const file = engine.server.index
      file.deselect() // peerflix selected the whole file: fetch on demand only (see above)
      resolve({
        url: `http://127.0.0.1:${engine.server.address().port}/${engine.files.indexOf(file)}`,
        length: file.length,
        pieceLength: engine.torrent.pieceLength,
        pieces: engine.torrent.pieces.length,
        have: (i) => engine.bitfield.get(i),
        downloaded: () => engine.swarm.downloaded
      })
    })
  })
}

function reply (res, status, doc) {
  const body = JSON.stringify(doc)
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) })
  res.end(body)
}

const control = http.createServer(async (req, res) => {
  const u = new URL(req.url, 'http://127.0.0.1')
  try {
    if (u.pathname === '/add') {
      if (state) return reply(res, 409, { error: 'already added' })
      const t0 = performance.now()
      const start = mode === 'webtorrent' ? startWebTorrent : startPeerflix
      let timer
      const timeout = new Promise((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no metadata after ${ADD_TIMEOUT_MS} ms`)),
          ADD_TIMEOUT_MS)
      })
      try {
        state = await Promise.race([start(u.searchParams.get('magnet')), timeout])
      } finally {
        clearTimeout(timer)
      }
      return reply(res, 200, {
        url: state.url,
        length: state.length,
        pieceLength: state.pieceLength,
        pieces: state.pieces,
        ms: performance.now() - t0
      })
    }
    if (u.pathname === '/have') {
      if (!state) return reply(res, 409, { error: 'nothing added' })
      const from = Math.max(0, Number(u.searchParams.get('from')))
      const to = Math.min(state.pieces - 1, Number(u.searchParams.get('to')))
      let have = 0
      for (let i = from; i <= to; i++) if (state.have(i)) have++
      return reply(res, 200, { have, of: Math.max(0, to - from + 1) })
    }
    if (u.pathname === '/stats') {
      return reply(res, 200, {
        downloaded: state ? state.downloaded() : 0,
        rss: process.memoryUsage().rss
      })
    }
    reply(res, 404, { error: 'no such path' })
  } catch (e) {
    reply(res, 503, { error: String(e && e.message ? e.message : e) })
  }
})
control.listen(Number(controlPort), '127.0.0.1', () => {
  console.log(`control port=${control.address().port} mode=${mode}`)
})
process.on('uncaughtException', (e) => console.error(`uncaught: ${e && e.stack ? e.stack : e}`))
process.on('SIGTERM', () => {
  control.close()
  destroy(() => process.exit(0))
  setTimeout(() => process.exit(0), 3000).unref()
})
