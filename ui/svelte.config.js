// Svelte 5 with TypeScript in <script lang="ts">: the compiler strips types itself.
export default {
  compilerOptions: { runes: true },
};
