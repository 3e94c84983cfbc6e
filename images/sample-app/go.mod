module sluice.dev/sample-app

go 1.26.0
