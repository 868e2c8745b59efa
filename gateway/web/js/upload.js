// File uploads with progress: files below TUS_FROM go in one POST (XHR, for
// its upload progress events); larger ones through tus 1.0.0 at
// /api/v1/uploads with tus-js-client (its UMD bundle, window.tus), which
// resumes an interrupted upload of the same file.
import { session } from './lib.js';

export const TUS_FROM = 8 * 1024 * 1024;

function xhrUpload(url, file, onProgress) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('POST', url);
    x.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    if (session.csrf) x.setRequestHeader('X-CSRF-Token', session.csrf);
    x.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    x.onload = () => {
      let body = null;
      try { body = JSON.parse(x.responseText); } catch { /* not JSON */ }
      if (x.status === 201 || x.status === 200) { onProgress(file.size, file.size); resolve(body); }
      else reject(new Error((body && body.error && body.error.message) || 'Upload failed (' + x.status + ')'));
    };
    x.onerror = () => reject(new Error('The upload was interrupted'));
    x.send(file);
  });
}

function tusUpload(file, meta, onProgress) {
  return new Promise((resolve, reject) => {
    let documentId = null;
    const metadata = { filename: file.name, filetype: file.type || 'application/octet-stream' };
    for (const [k, v] of Object.entries(meta)) if (v) metadata[k] = v;
    const up = new window.tus.Upload(file, {
      endpoint: '/api/v1/uploads',
      chunkSize: 4 * 1024 * 1024,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      metadata,
      headers: session.csrf ? { 'X-CSRF-Token': session.csrf } : {},
      removeFingerprintOnSuccess: true,
      onProgress: (sent, total) => onProgress(sent, total),
      onAfterResponse: (req, res) => { const id = res.getHeader('Atrium-Document-Id'); if (id) documentId = id; },
      onError: (e) => reject(new Error('Upload failed: ' + ((e && e.message) || e))),
      onSuccess: () => resolve({ id: documentId }),
    });
    up.findPreviousUploads().then((prev) => {
      if (prev.length) up.resumeFromPreviousUpload(prev[0]);
      up.start();
    });
  });
}

/**
 * Uploads file as a new document of clientId (into folderId when set), or as
 * a new version of documentId; requestId fulfils that document request;
 * onProgress(loaded, total) in bytes. Resolves
 * to the document (at least its id).
 */
export function uploadFile(file, { clientId, folderId, documentId, requestId }, onProgress) {
  if (file.size >= TUS_FROM && window.tus && window.tus.isSupported && !documentId) {
    return tusUpload(file, { client_id: clientId, folder_id: folderId, request_id: requestId }, onProgress);
  }
  const url = documentId
    ? `/api/v1/documents/${encodeURIComponent(documentId)}/versions?name=${encodeURIComponent(file.name)}`
    : `/api/v1/clients/${encodeURIComponent(clientId)}/documents?name=${encodeURIComponent(file.name)}` +
      (folderId ? '&folder_id=' + encodeURIComponent(folderId) : '') +
      (requestId ? '&request_id=' + encodeURIComponent(requestId) : '');
  return xhrUpload(url, file, onProgress);
}
