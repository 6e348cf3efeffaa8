/** Shell scripts are bundled as text (esbuild `loader: { '.sh': 'text' }`). */
declare module '*.sh' {
  const text: string;
  export default text;
}
