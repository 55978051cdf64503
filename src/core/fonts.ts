/**
 * The bundled fonts: DejaVu Sans (Latin, Greek, Cyrillic; the default), Noto Sans SC (Chinese; OFL-1.1), Noto Sans
 * KR (Hangul; OFL-1.1) and Arimo (OFL-1.1; metric-compatible with Arial, the font of the T2Vid paper's renderer: the
 * `t2vid` preset's font). `npm run build` copies them from their registry packages into
 * media/fonts, which ships with the extension and the CLI, so a fresh machine renders Chinese and Korean without
 * tofu boxes. A user's `--font-file` is checked here (fontCoverage.ts) before any work starts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface BundledFont {
  family: string;
  file: string;
}

export const BUNDLED_FONTS: ReadonlyArray<{ family: string; media: string; pkg: string }> = [
  { family: 'DejaVu Sans', media: 'DejaVuSans.ttf', pkg: 'dejavu-fonts-ttf/ttf/DejaVuSans.ttf' },
  { family: 'Noto Sans SC', media: 'NotoSansSC-Regular.ttf', pkg: '@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf' },
  { family: 'Noto Sans KR', media: 'NotoSansKR-Regular.ttf', pkg: '@expo-google-fonts/noto-sans-kr/400Regular/NotoSansKR_400Regular.ttf' },
  { family: 'Arimo', media: 'Arimo-Regular.ttf', pkg: '@expo-google-fonts/arimo/400Regular/Arimo_400Regular.ttf' },
];

let root: string | undefined;

/** The folder holding this package's package.json, found from wherever the code was bundled or compiled to. */
export function packageRoot(): string {
  if (root) {
    return root;
  }
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if (JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 't2vid-studio') {
          return (root = dir);
        }
      } catch {
        // not ours; keep looking
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot find the t2vid-studio package folder above ${__dirname}`);
    }
    dir = parent;
  }
}

/** Paths of the bundled fonts; a clear error if the build did not copy them. */
export function bundledFonts(): BundledFont[] {
  const base = packageRoot();
  return BUNDLED_FONTS.map(({ family, media, pkg }) => {
    const shipped = path.join(base, 'media', 'fonts', media);
    if (fs.existsSync(shipped)) {
      return { family, file: shipped };
    }
    try {
      return { family, file: require.resolve(pkg, { paths: [base] }) };
    } catch {
      throw new Error(`font ${family} is missing: expected ${shipped} (run \`npm run build\`, which copies it there)`);
    }
  });
}
