// Watch alerts (configuration mismatch, drift, regression, expiring evidence): built by the watch work.
export {};
