import { Transform, type TransformCallback } from 'node:stream';
import { uploadableFileTypes, type UploadableFileType, type UploadableMime } from '@haven/contracts';
import { fileTypeFromBuffer } from 'file-type';
import { AppError } from '../errors.ts';

/**
 * How many leading bytes decide a file's type. Binary formats announce themselves in the first
 * few bytes; Office and OpenDocument files are zip archives whose kind is named by an entry near
 * the start; text is judged on this much of it.
 */
export const sampleBytes = 256 * 1024;

const typeByMime = new Map<string, UploadableFileType>(uploadableFileTypes.map((type) => [type.mime, type]));

export const fileTypeOf = (mime: UploadableMime): UploadableFileType => typeByMime.get(mime)!;

/**
 * The type of a file from its leading bytes (`complete` when they are the whole file): one of
 * the uploadable types, or null. Binary formats are recognised by the `file-type` library; what
 * it does not recognise counts as text only when it is valid UTF-8 without control characters
 * other than tab, line feed, carriage return and form feed — so a renamed executable or an
 * unknown binary is refused, never stored as "text". Text is CSV when its name says so.
 */
export async function detectFileType(sample: Buffer, complete: boolean, nameHint: string): Promise<UploadableFileType | null> {
  const detected = await fileTypeFromBuffer(sample).catch(() => undefined);
  if (detected) return typeByMime.get(detected.mime) ?? null;
  if (!looksLikeText(sample, complete)) return null;
  return fileTypeOf(/\.csv$/i.test(nameHint.trim()) ? 'text/csv' : 'text/plain');
}

const markup = /^\ufeff?\s*<(?:!doctype|html|head|body|svg|\?xml|script|iframe|object|embed)\b/i;

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function looksLikeText(sample: Buffer, complete: boolean): boolean {
  // A prefix may end inside a multi-byte character: judge the whole characters before it.
  let bytes = sample;
  if (!complete) {
    let cut = bytes.length;
    for (let back = 1; back <= 3 && cut - back >= 0; back++) {
      const byte = bytes[cut - back]!;
      if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
      const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
      if (needed > back) cut -= back;
      break;
    }
    bytes = bytes.subarray(0, cut);
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return false;
  }
  // C0 controls but tab, LF, FF, CR; DEL; C1 controls.
  if (/[\u0000-\u0008\u000b\u000e-\u001f\u007f-\u009f]/u.test(text)) return false;
  // Markup is not plain text: a web page or SVG is refused outright rather than kept as ".txt".
  return !markup.test(text);
}

export interface InspectedUpload {
  type: UploadableFileType;
  bytes: number;
}

/**
 * Sits between the upload and the encryption: holds back the first {@link sampleBytes} until the
 * type is known, refuses what is not allowed before a single byte reaches the store, and counts
 * bytes so a file over the limit fails as soon as it crosses it (the whole body is never
 * buffered). Errors are AppErrors the API answers with: FILE_TYPE_NOT_ALLOWED, FILE_TOO_LARGE,
 * FILE_EMPTY. `result` settles when the stream ends.
 */
export class UploadInspector extends Transform {
  #held: Buffer[] = [];
  #heldBytes = 0;
  #bytes = 0;
  #type: UploadableFileType | null = null;
  #settle!: { resolve: (value: InspectedUpload) => void; reject: (error: unknown) => void };
  readonly result: Promise<InspectedUpload>;

  constructor(
    private readonly options: { maxBytes: number; nameHint: string },
  ) {
    super();
    this.result = new Promise((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    // Whoever awaits the pipeline sees the error; this only keeps an unobserved copy quiet.
    this.result.catch(() => undefined);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#bytes += chunk.length;
    if (this.#bytes > this.options.maxBytes) return this.#fail(new AppError('FILE_TOO_LARGE', { internal: `upload over ${this.options.maxBytes} bytes` }), callback);
    if (this.#type) return callback(null, chunk);
    this.#held.push(chunk);
    this.#heldBytes += chunk.length;
    if (this.#heldBytes < sampleBytes) return callback();
    this.#decide(false).then(() => callback(), (error) => this.#fail(error, callback));
  }

  override _flush(callback: TransformCallback): void {
    if (this.#bytes === 0) return this.#fail(new AppError('FILE_EMPTY'), callback);
    const decided = this.#type ? Promise.resolve() : this.#decide(true);
    decided.then(
      () => {
        this.#settle.resolve({ type: this.#type!, bytes: this.#bytes });
        callback();
      },
      (error) => this.#fail(error, callback),
    );
  }

  async #decide(complete: boolean): Promise<void> {
    const held = Buffer.concat(this.#held);
    this.#held = [];
    this.#heldBytes = 0;
    const type = await detectFileType(held.subarray(0, sampleBytes), complete, this.options.nameHint);
    if (!type) throw new AppError('FILE_TYPE_NOT_ALLOWED', { internal: 'file content is not an allowed type' });
    this.#type = type;
    this.push(held);
  }

  #fail(error: unknown, callback: TransformCallback): void {
    this.#held = [];
    this.#settle.reject(error);
    callback(error as Error);
  }
}
