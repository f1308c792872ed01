import { randomBytes } from 'node:crypto';

/** Small real files of each kind, made for these tests (python's zipfile and zlib). */
export const sampleFiles = {
  /** A 1×1 PNG. */
  png: Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC', 'base64'),
  /** A Word document: [Content_Types].xml naming word/document.xml. */
  docx: Buffer.from(
    'UEsDBBQAAAAIABxWd12axphxygAAADoBAAATAAAAW0NvbnRlbnRfVHlwZXNdLnhtbH1QzU7DMAx+lShX1LrjgBBquwODI3AYD2AlbhfR2FGSjfH2uAztwIGj/f3a/fYcF3OiXILwYDdtZw2xEx94Huz7/rm5t9ux338lKkapXAZ7qDU9ABR3oIillUSsyCQ5YtUxz5DQfeBMcNt1d+CEK3Ft6uphx35HEx6Xap7Our7EqtyaxwtvjRosprQEh1VhWFEY+1dtmYMn84a5vmBUFnxK9uDFHaMq2/9tTuz/dG1kmoKjq351S1kclaLnx6W9IhED3/z2gJ9njN9QSwMEFAAAAAgAHFZ3XeA2lxCAAAAArAAAABEAAAB3b3JkL2RvY3VtZW50LnhtbEXOwQ7CIAwG4FdZeIAVPXggjF19DQTcSICSwkTfXpgHL1/b/E1Tub5jmF6Oise0sMvM2apkExbNEV2qU49TEW1he61ZABSzu6jLjNmlnj2Roq59pA0aks2ExpXi0xYDXDm/QdQ+sXHygfYzah7QoKq7CwEljHZIp/n0tw7/V9QXUEsBAhQDFAAAAAgAHFZ3XZrGmHHKAAAAOgEAABMAAAAAAAAAAAAAAIABAAAAAFtDb250ZW50X1R5cGVzXS54bWxQSwECFAMUAAAACAAcVndd4DaXEIAAAACsAAAAEQAAAAAAAAAAAAAAgAH7AAAAd29yZC9kb2N1bWVudC54bWxQSwUGAAAAAAIAAgCAAAAAqgEAAAAA',
    'base64',
  ),
  /** An OpenDocument text: a stored "mimetype" entry first. */
  odt: Buffer.from(
    'UEsDBBQAAAAAAAAAIQBexjIMJwAAACcAAAAIAAAAbWltZXR5cGVhcHBsaWNhdGlvbi92bmQub2FzaXMub3BlbmRvY3VtZW50LnRleHRQSwMEFAAAAAgAHFZ3XTFGq2oaAAAAGgAAAAsAAABjb250ZW50LnhtbLPJT0vLTE61SslPLs1NzSvRTc7PKwHS+nYAUEsBAhQDFAAAAAAAAAAhAF7GMgwnAAAAJwAAAAgAAAAAAAAAAAAAAIABAAAAAG1pbWV0eXBlUEsBAhQDFAAAAAgAHFZ3XTFGq2oaAAAAGgAAAAsAAAAAAAAAAAAAAIABTQAAAGNvbnRlbnQueG1sUEsFBgAAAAACAAIAbwAAAJAAAAAAAA==',
    'base64',
  ),
  /** A plain zip archive (refused: an archive could hold anything). */
  zip: Buffer.from('UEsDBBQAAAAIABxWd12GphA2BwAAAAUAAAAJAAAAbm90ZXMudHh0y0jNyckHAFBLAQIUAxQAAAAIABxWd12GphA2BwAAAAUAAAAJAAAAAAAAAAAAAACAAQAAAABub3Rlcy50eHRQSwUGAAAAAAEAAQA3AAAALgAAAAAA', 'base64'),
  /** The first bytes of a Windows executable. */
  exe: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200)]),
};

/** A PDF carrying `text`, padded to about `size` bytes (PDF readers ignore trailing comments). */
export function samplePdf(text: string, size = 0): Buffer {
  const head = Buffer.from(`%PDF-1.4\n1 0 obj << /Title (${text}) >> endobj\n`);
  const tail = Buffer.from('%%EOF\n');
  const padding = Math.max(0, size - head.length - tail.length);
  return Buffer.concat([head, Buffer.from('%'.padEnd(padding, 'x').slice(0, padding)), tail]);
}

export interface UploadFile {
  name: string;
  content: Buffer;
  /** What the browser claims; the server decides by content. */
  type?: string;
  field?: string;
}

/** A `multipart/form-data` body as a browser's FormData would send it. */
export function multipartBody(files: UploadFile[]): { body: Buffer; contentType: string } {
  const boundary = `----haven-test-${randomBytes(8).toString('hex')}`;
  const parts = files.flatMap((file) => [
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${file.field ?? 'file'}"; filename="${file.name.replace(/"/g, '%22')}"\r\nContent-Type: ${file.type ?? 'application/octet-stream'}\r\n\r\n`,
      'utf8',
    ),
    file.content,
    Buffer.from('\r\n'),
  ]);
  return { body: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}
