/** Types for the `linebreak` package (UAX #14 line breaking; it ships none). */
declare module 'linebreak' {
  interface Break {
    /** Offset (UTF-16 code units) where a line may (or must) start. */
    position: number;
    /** True after a mandatory break (a line break character). */
    required: boolean;
  }
  export default class LineBreaker {
    constructor(text: string);
    nextBreak(): Break | null;
  }
}
