# `sam build` (BuildMethod: makefile) calls `make build-<LogicalId>` once per function with
# ARTIFACTS_DIR set. All of them go through one script that builds every binary in one cargo
# invocation the first time and copies a function's bootstrap each time.
build-%:
	scripts/lambda-artifact $* "$(ARTIFACTS_DIR)"
