// The WebTorrent library as a seeder or a downloader for tests/bench/bt_download.py.
//   node wt.mjs seed  TORRENT DATA_DIR PORT TRACKER   prints "seeding", seeds until SIGTERM
//   node wt.mjs fetch TORRENT OUT_DIR  PORT TRACKER   prints "done ms=N" and exits 0
// DHT, LSD, ut_pex, UPnP and NAT-PMP are off: the local tracker is the only peer source.
import fs from 'node:fs'
import WebTorrent from 'webtorrent'

const [mode, torrentPath, dir, port, tracker] = process.argv.slice(2)
if (!['seed', 'fetch'].includes(mode) || !tracker) {
  console.error('usage: node wt.mjs seed|fetch TORRENT DIR PORT TRACKER')
  process.exit(2)
}
const t0 = performance.now()
const fail = (what, err) => {
  console.error(`${what}: ${err && err.message ? err.message : err}`)
  process.exit(1)
}
const client = new WebTorrent({
  dht: false,
  lsd: false,
  utPex: false,
  natUpnp: false,
  natPmp: false,
  webSeeds: false,
  utp: false,
  torrentPort: Number(port)
})
client.on('error', (e) => fail('client', e))

const opts = { path: dir, announce: [tracker] }
if (mode === 'seed') opts.skipVerify = true
const torrent = client.add(fs.readFileSync(torrentPath), opts)
torrent.on('error', (e) => fail('torrent', e))
if (mode === 'seed') {
  const ready = () => console.log(`seeding name=${torrent.name} pieces=${torrent.pieces.length}`)
  if (torrent.done) ready()
  else torrent.once('done', ready)
  process.on('SIGTERM', () => client.destroy(() => process.exit(0)))
} else {
  torrent.once('done', () => {
    console.log(`done ms=${(performance.now() - t0).toFixed(1)} bytes=${torrent.length}`)
    process.exit(0)
  })
}
