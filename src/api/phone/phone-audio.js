// The softphone page's local audio (docs/webrtc.md "The softphone page"): the microphone with its
// input level meter (a WebAudio AnalyserNode), the messages for a microphone that cannot be used,
// and the call duration clock. Loaded before phone.js, which uses `window.callbinPhoneAudio`.
(() => {
  /** A sentence for the user about why the microphone could not be opened. */
  function microphoneError(err) {
    if (!window.isSecureContext)
      return 'The microphone needs a secure page: open this page over https, or on localhost.';
    if (err?.name === 'NotAllowedError' || err?.name === 'SecurityError')
      return 'Microphone access was refused: allow the microphone for this page in the browser, then try again.';
    if (err?.name === 'NotFoundError') return 'No microphone was found: connect one, then try again.';
    if (err?.name === 'NotReadableError') return 'The microphone is in use by another application.';
    return `The microphone cannot be used: ${err?.message ?? err}`;
  }

  /** Opens the microphone and shows its level in `meterEl` (a <meter> from 0 to 1) until `close()`. */
  async function openMicrophone(meterEl) {
    if (!navigator.mediaDevices?.getUserMedia) throw Object.assign(new Error('no media devices'), { name: 'Secure' });
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 1024;
    ctx.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const tick = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const v of samples) sum += v * v;
      // RMS on a rough logarithmic scale: -60 dBFS is empty, 0 dBFS full.
      const db = 20 * Math.log10(Math.sqrt(sum / samples.length) || 1e-6);
      meterEl.value = Math.max(0, Math.min(1, (db + 60) / 60));
    }, 100);
    return {
      stream,
      close() {
        clearInterval(tick);
        void ctx.close();
        meterEl.value = 0;
        for (const track of stream.getTracks()) track.stop();
      },
    };
  }

  /** Shows m:ss since `start()` in `el`, every second, until `stop()`. */
  function callClock(el) {
    let timer = null;
    const stop = () => {
      if (timer !== null) clearInterval(timer);
      timer = null;
    };
    const start = () => {
      stop();
      const started = performance.now();
      const show = () => {
        const s = Math.floor((performance.now() - started) / 1000);
        el.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
      };
      show();
      timer = setInterval(show, 1000);
    };
    return { start, stop };
  }

  window.callbinPhoneAudio = { microphoneError, openMicrophone, callClock };
})();
