// Text assets imported with `with { type: 'text' }` (embedded by bun build --compile).
declare module '*.sql' {
  const text: string;
  export default text;
}
declare module '*.yaml' {
  const text: string;
  export default text;
}
