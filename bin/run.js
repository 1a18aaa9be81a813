#!/usr/bin/env node
/* eslint import/no-unresolved: ['error', {ignore: ['^\\.\\./dist/']}] -- dist/ is the build's output, there once `npm run build` has run */
import {execute} from '../dist/index.js'

await execute({dir: import.meta.url})
