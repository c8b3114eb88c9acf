//go:build !race

package sigmamind

// raceDetector is set when the tests run with -race: its shadow memory
// would count in any measure of the decoder's peak memory.
const raceDetector = false
