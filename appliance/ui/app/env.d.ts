/** CSS files are bundled by Bun; importing one only adds it to the page. */
declare module '*.css';
