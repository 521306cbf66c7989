// Recordings (docs/console.md "Recordings"): the customer's recordings, each played in the page from
// `GET /recordingfiles/{id}` fetched with the console's credential into a `blob:` URL.
import { api, apiBlob } from './api.js';
import { errorText, fill, h, showMessage, table } from './dom.js';

export async function recordingsView(view) {
  const list = h('div', {});
  const player = h('div', { class: 'player' });
  const load = async () => {
    const page = await api('GET', '/v1.0/recordings?page_size=100');
    fill(
      list,
      page.result.length === 0
        ? h('p', { class: 'muted' }, 'No recordings.')
        : table('Recordings', COLUMNS(play, remove), page.result),
    );
  };
  const play = async (r) => {
    try {
      const blob = await apiBlob(`/v1.0/recordingfiles/${r.id}`);
      for (const old of player.querySelectorAll('audio')) URL.revokeObjectURL(old.src);
      // A call's recording is a ZIP of its two directions; a conference's is one WAV.
      const files = blob.type.startsWith('application/zip')
        ? unzipStored(await blob.arrayBuffer())
        : [{ name: `${r.id}.wav`, blob }];
      fill(
        player,
        h('p', {}, `Recording ${r.id}`),
        files.map((f) => {
          const audio = h('audio', { controls: true, 'aria-label': f.name, 'data-id': r.id, 'data-file': f.name });
          audio.src = URL.createObjectURL(f.blob);
          return h('p', {}, h('span', {}, `${f.name} (${f.blob.size} bytes) `), audio);
        }),
      );
    } catch (err) {
      showMessage(errorText(err));
    }
  };
  const remove = async (r) => {
    try {
      await api('DELETE', `/v1.0/recordings/${r.id}`);
      await load();
    } catch (err) {
      showMessage(errorText(err));
    }
  };
  fill(view, h('h2', {}, 'Recordings'), player, list);
  await load();
}

/**
 * The files of a stored (uncompressed) ZIP, as `GET /recordingfiles/{id}` sends several files
 * (docs/api.md "Resources"): each local header (PKZIP signature 0x04034b50) names its file and size.
 */
export function unzipStored(buffer) {
  const view = new DataView(buffer);
  const files = [];
  let at = 0;
  while (at + 30 <= buffer.byteLength && view.getUint32(at, true) === 0x04034b50) {
    const method = view.getUint16(at + 8, true);
    const size = view.getUint32(at + 18, true);
    const nameLength = view.getUint16(at + 26, true);
    const extraLength = view.getUint16(at + 28, true);
    const name = new TextDecoder().decode(new Uint8Array(buffer, at + 30, nameLength));
    const start = at + 30 + nameLength + extraLength;
    if (method !== 0 || start + size > buffer.byteLength) throw new Error(`cannot read ${name} in the ZIP`);
    files.push({ name, blob: new Blob([new Uint8Array(buffer, start, size)], { type: 'audio/wav' }) });
    at = start + size;
  }
  return files;
}

const COLUMNS = (play, remove) => [
  { title: 'Recording', cell: (r) => r.id.slice(0, 8) },
  {
    title: 'Call',
    cell: (r) => (r.reference_id ? h('a', { href: `#/calls/${r.reference_id}` }, r.reference_id.slice(0, 8)) : ''),
  },
  { title: 'Status', cell: (r) => r.status },
  { title: 'Started', cell: (r) => r.tm_start ?? r.tm_create },
  { title: 'Ended', cell: (r) => r.tm_end ?? '' },
  {
    title: '',
    cell: (r) => [
      h('button', { type: 'button', onclick: () => play(r), disabled: r.status !== 'ended' }, 'Play'),
      ' ',
      h('button', { type: 'button', onclick: () => remove(r) }, 'Delete'),
    ],
  },
];
