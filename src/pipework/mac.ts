// The MAC argument is validated where every request is: src/request/mac.ts.
export { macFromString, normaliseMac } from '../request/mac';
