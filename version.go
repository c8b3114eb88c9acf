package main

// footer closes the job summary with the version that wrote it, so that a
// reader of an old run can tell which release judged it.
func footer() string {
	return "\n<sub>sigmagate " + version + "</sub>\n"
}
