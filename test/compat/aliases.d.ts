// The other majors the compatibility suite installs side by side under npm aliases (package.json). Their public API,
// as far as the suite uses it, is the one the current major's types describe.
declare module 'express4' {
  import express = require('express')
  export = express
}
declare module 'passport06' {
  import passport = require('passport')
  export = passport
}
