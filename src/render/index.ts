// Template rendering for roles: nunjucks with strict undefined variables and secret detection.
export { hasTemplateSyntax, TemplateRenderer, type RenderedFile, type StringSource } from "./renderer.js";
export { containsSecret, revealSecrets, secretValuesOf, type RenderScope } from "./scope.js";
