/** Byte values of the protocol's punctuation. */
export const NUL = 0x00;
export const CR = 0x0d;
export const LF = 0x0a;
export const SPACE = 0x20;
export const MINUS = 0x2d;
export const DIGIT_0 = 0x30;
export const DIGIT_1 = 0x31;
export const DIGIT_9 = 0x39;
export const DOLLAR = 0x24;
export const STAR = 0x2a;
export const DOUBLE_QUOTE = 0x22;
export const SINGLE_QUOTE = 0x27;
export const BACKSLASH = 0x5c;

export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);
