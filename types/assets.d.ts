// Text assets imported with `with { type: 'text' }` (embedded by bun build --compile).
declare module '*.sql' {
  const text: string;
  export default text;
}
declare module '*.yaml' {
  const text: string;
  export default text;
}

// Files embedded with `with { type: 'file' }`: the import is the file's path (in the binary, its embedded path).
declare module 'swagger-ui-dist/swagger-ui-bundle.js' {
  const path: string;
  export default path;
}
declare module 'swagger-ui-dist/swagger-ui.css' {
  const path: string;
  export default path;
}
declare module '*.proto' {
  const text: string;
  export default text;
}
